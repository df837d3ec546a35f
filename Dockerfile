# The product's image: the one static `crm` binary on nothing, with CA
# certificates and the non-root user 65532 (distroless' "nonroot").
#
#   docker build -t opencrm/crm:dev .
#   docker run --rm opencrm/crm:dev subgraph contact
#
# Machines without Docker build the same image with `make image` (deploy/image:
# an OCI layout and a tarball, checked by its test). Keep the two in step.

# Build stage: Debian's Go image has the CA certificates too.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/opencrm/opencrm/pkg/gqlserver.Version=${VERSION}" \
      -o /out/crm ./cmd/crm \
 && mkdir -p /out/etc /out/home/nonroot \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /out/etc/passwd \
 && printf 'root:x:0:\nnonroot:x:65532:\n' > /out/etc/group \
 && chmod 700 /out/home/nonroot

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/etc/passwd /out/etc/group /etc/
COPY --from=build --chown=65532:65532 /out/home/nonroot /home/nonroot
COPY --from=build /out/crm /crm
ENV HOME=/home/nonroot SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
WORKDIR /home/nonroot
USER 65532:65532
# gateway, then the subgraphs identity, tenant, contact, deal, comms, webhooks
EXPOSE 4000 8080 8081 8082 8083 8084 8085
ENTRYPOINT ["/crm"]
CMD ["help"]
