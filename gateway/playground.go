package gateway

import (
	"embed"
	"io/fs"
	"net/http"
)

// playgroundFiles are GraphiQL, React (copied from npm by
// playground/vendor.sh) and the page around them: no CDN, works offline.
//
//go:embed playground/index.html playground/playground.js playground/playground.css playground/assets
var playgroundFiles embed.FS

// playgroundCSP allows only this origin; GraphiQL sets inline styles.
const playgroundCSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// playground serves GraphiQL at / and its assets under /playground/.
func playground() (page, assets http.Handler) {
	index, _ := playgroundFiles.ReadFile("playground/index.html")
	flat := http.NewServeMux()
	sub, _ := fs.Sub(playgroundFiles, "playground")
	files := http.FileServerFS(sub)
	vendored, _ := fs.Sub(sub, "assets")
	vendoredFiles := http.FileServerFS(vendored)
	flat.Handle("/playground.js", files)
	flat.Handle("/playground.css", files)
	flat.Handle("/", vendoredFiles)
	page = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		secure(w)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(index)
	})
	assets = http.StripPrefix("/playground", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secure(w)
		w.Header().Set("Cache-Control", "public, max-age=3600")
		flat.ServeHTTP(w, r)
	}))
	return page, assets
}

func secure(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", playgroundCSP)
	w.Header().Set("X-Content-Type-Options", "nosniff")
}
