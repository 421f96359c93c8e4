//! A reverse proxy in front of the harness's listener, serving it under a path prefix.

/// A small reverse proxy: `{prefix}/rest` → `http://{to}/rest`, headers and body passed
/// both ways; anything outside the prefix is a 404.
pub async fn proxy(prefix: &'static str, to: std::net::SocketAddr) -> std::net::SocketAddr {
    use axum::body::Body;
    use axum::extract::Request;
    use axum::response::{IntoResponse, Response};
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let app = axum::Router::new().fallback(move |req: Request| {
        let client = client.clone();
        async move {
            let path_q = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            let Some(rest) = path_q.strip_prefix(prefix).filter(|r| r.starts_with('/')) else {
                return (axum::http::StatusCode::NOT_FOUND, "outside the prefix").into_response();
            };
            let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes()).unwrap();
            let mut out = client.request(method, format!("http://{to}{rest}"));
            for (k, v) in req.headers() {
                if k != "host" {
                    out = out.header(k.as_str(), v.as_bytes());
                }
            }
            let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .unwrap();
            let res = out.body(body.to_vec()).send().await.unwrap();
            let mut back = Response::builder().status(res.status().as_u16());
            for (k, v) in res.headers() {
                back = back.header(k.as_str(), v.as_bytes());
            }
            back.body(Body::from(res.bytes().await.unwrap())).unwrap()
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    addr
}
