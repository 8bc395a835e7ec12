//! One GET through azure_core's default pipeline.

use azure_core::http::{ClientOptions, Context, Method, Pipeline, Request, Url};

#[tokio::main(flavor = "current_thread")]
async fn main() -> azure_core::Result<()> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "https://example.com/".to_owned());
    let pipeline = Pipeline::new(
        Some("size"),
        Some("0.0.0"),
        ClientOptions::default(),
        Vec::new(),
        Vec::new(),
        None,
    );
    let mut request = Request::new(Url::parse(&url).expect("a URL"), Method::Get);
    let response = pipeline.send(&Context::new(), &mut request, None).await?;
    println!("{} {}", response.status(), response.into_body().len());
    Ok(())
}
