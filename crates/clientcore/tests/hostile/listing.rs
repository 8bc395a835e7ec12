//! Walking a listing to its end under either driver, for the suites that watch where a pager
//! goes.

use clientcore::paging::{BlockingPager, PageStrategy, Pager};
use clientcore::{Error, Options, Request};
use futures_util::StreamExt as _;
use http::Method;

use crate::support::{Driver, TestClient};

/// Every item of a listing starting at `url`, or the error that stopped it.
pub(crate) fn list(
    c: &TestClient,
    url: &str,
    strategy: PageStrategy,
    options: &Options,
) -> (Vec<String>, Option<Error>) {
    let first = Request::new(Method::GET, url.parse().unwrap());
    let mut items = Vec::new();
    match c.driver() {
        Driver::Async => c.block_on(async {
            let pager: Pager<String> = Pager::new(c.async_client(), first, strategy, options);
            let mut stream = std::pin::pin!(pager.into_items());
            while let Some(item) = stream.next().await {
                match item {
                    Ok(i) => items.push(i),
                    Err(e) => return (items, Some(e)),
                }
            }
            (items, None)
        }),
        Driver::Blocking => {
            let pager: BlockingPager<String> =
                BlockingPager::new(c.blocking_client(), first, strategy, options);
            for item in pager {
                match item {
                    Ok(i) => items.push(i),
                    Err(e) => return (items, Some(e)),
                }
            }
            (items, None)
        }
    }
}
