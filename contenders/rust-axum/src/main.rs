//! The article's Rust server, as docs/ARTICLE-SERVERS.md describes it: Axum 0.7 on the
//! multi-threaded Tokio runtime, `Query<PrimeParams>` with `n: Option<u32>`
//! (anything that is not a valid u32 gets Axum's 400 rejection), u32 arithmetic,
//! and the computation directly inside the async handler, as the article did.
//! Only HOST/PORT come from the environment (the article bound 0.0.0.0:4000).

use axum::{extract::Query, routing::get, Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct PrimeParams {
    n: Option<u32>,
}

#[derive(Serialize)]
struct PrimeResponse {
    n: u32,
    prime: u32,
}

fn is_prime(num: u32) -> bool {
    let s = (num as f64).sqrt() as u32;
    for i in 2..=s {
        if num % i == 0 {
            return false;
        }
    }
    num > 1
}

fn find_nth_prime(n: u32) -> u32 {
    let mut count = 0;
    let mut num = 2;
    while count < n {
        if is_prime(num) {
            count += 1;
        }
        num += 1;
    }
    num - 1
}

async fn prime_handler(Query(params): Query<PrimeParams>) -> Json<PrimeResponse> {
    let n = params.n.unwrap_or(10000);
    let prime = find_nth_prime(n);
    Json(PrimeResponse { n, prime })
}

#[tokio::main]
async fn main() {
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".to_string());
    let port = std::env::var("PORT").unwrap_or_else(|_| "4000".to_string());
    let app = Router::new().route("/prime", get(prime_handler));
    let listener = tokio::net::TcpListener::bind(format!("{host}:{port}"))
        .await
        .expect("bind HOST:PORT");
    println!("rust-axum listening on http://{host}:{port}");
    axum::serve(listener, app).await.expect("serve");
}
