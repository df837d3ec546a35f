// Package manifests checks the deployment files offline: the kustomize base
// and production overlay (deploy/k8s) render, every object they hold
// decodes strictly into the Kubernetes API's types, and the invariants
// operators rely on hold; deploy/compose.yaml parses and runs every part
// of the product. It has no code of its own: its tests are the point.
package manifests
