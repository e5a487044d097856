# The chat edge (a Spin component) and the demo intranet site, built from the repository root:
#   docker build -f deploy/edge.Dockerfile --target edge -t pomerium-chat-edge:local .
#   docker build -f deploy/edge.Dockerfile --target intranet -t pomerium-chat-intranet:local .
#
# `build` runs `cargo xtask dist`: the widget (wasm32-unknown-unknown + wasm-bindgen) and the demo
# site into target/dist, with the edge component built for Spin (target/dist/edge-spin.wasm).
# `intranet` serves the demo page and the widget bundle with nginx, pointed at the chat origin.
# `edge` (the default, last stage) runs the component with `spin up`, laid out as spin.toml expects.

FROM rust:1.95.0-slim-bookworm AS build
RUN rustup target add wasm32-unknown-unknown wasm32-wasip2
# Must equal the wasm-bindgen version in Cargo.lock (a test checks it).
ARG WASM_BINDGEN_VERSION=0.2.130
RUN cargo install wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}"
WORKDIR /src
COPY . .
RUN cargo xtask dist

FROM nginx:1.28.0-alpine AS intranet
# nginx's entrypoint fills ${CHAT_ORIGIN} into the template and writes conf.d/default.conf.
COPY deploy/intranet/default.conf.template /etc/nginx/templates/default.conf.template
COPY --from=build /src/target/dist/site /usr/share/nginx/html
COPY --from=build /src/target/dist/widget /usr/share/nginx/html/widget
EXPOSE 8080

FROM ghcr.io/spinframework/spin:v3.6.3 AS edge
WORKDIR /app
COPY spin.toml ./
COPY --from=build /src/target/dist target/dist
EXPOSE 3000
# The image's entrypoint is `spin`. Settings arrive as SPIN_VARIABLE_<NAME> environment variables.
CMD ["up", "--listen", "0.0.0.0:3000", "--state-dir", "/tmp/spin"]
