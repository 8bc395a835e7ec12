//! One GET with clientcore's async client: the smallest SDK-shaped program.

use clientcore::http::Method;
use clientcore::{Client, Options, Request};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), clientcore::Error> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "https://example.com/".to_owned());
    let client = Client::builder().build()?;
    let request = Request::new(Method::GET, url.parse().expect("a URL"));
    let mut response = client.send(request, &Options::new()).await?;
    println!("{} {}", response.status(), response.text().await?.len());
    Ok(())
}
