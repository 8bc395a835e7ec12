//! One GET with reqwest alone.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), reqwest::Error> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "https://example.com/".to_owned());
    let response = reqwest::get(&url).await?;
    let status = response.status();
    println!("{status} {}", response.text().await?.len());
    Ok(())
}
