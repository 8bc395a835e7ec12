//! Pagers: list operations as a [`Stream`](futures_util::Stream) (async) or an
//! [`Iterator`] (blocking), of pages or of items.
//!
//! Both are thin loops over the sans-IO [`Paging`] decider (see its module for the rules:
//! next links and continuation tokens in the body or a header; only a missing token ends
//! paging). A page that fails yields an error carrying the continuation token of that page
//! ([`Error::continuation_token`]); a new pager started with `by_page(token)` fetches that
//! page again and goes on from there, in this process or another.
//!
//! # Examples
//!
//! ```no_run
//! # #[cfg(feature = "async")]
//! # async fn run() -> Result<(), clientcore::Error> {
//! use clientcore::paging::{PageStrategy, Pager};
//! use clientcore::{Client, Request, RequestOptions};
//! use futures_util::TryStreamExt as _;
//!
//! let client = Client::builder().build()?;
//! let first = Request::new(http::Method::GET, "https://example.com/items".parse().unwrap());
//! let pager: Pager<String> =
//!     Pager::new(&client, first, PageStrategy::next_link(), &RequestOptions::new());
//! let names: Vec<String> = pager.into_items().try_collect().await?;
//! # let _ = names; Ok(()) }
//! ```

#[cfg(any(feature = "async", feature = "blocking"))]
use std::collections::VecDeque;
#[cfg(any(feature = "async", feature = "blocking"))]
use std::fmt;
#[cfg(any(feature = "async", feature = "blocking"))]
use std::marker::PhantomData;

#[cfg(any(feature = "async", feature = "blocking"))]
use clientcore_proto::options::Options;
pub use clientcore_proto::paging::{Page, PageDecoder, PageStrategy, Paging};
#[cfg(any(feature = "async", feature = "blocking"))]
use clientcore_proto::pipeline::Request;
#[cfg(any(feature = "async", feature = "blocking"))]
use clientcore_proto::Error;
#[cfg(any(feature = "async", feature = "blocking"))]
use serde::de::DeserializeOwned;

#[cfg(any(feature = "async", feature = "blocking"))]
use crate::Body;

/// How a pager takes in a page: the built-in JSON decoding, or the SDK's decoder.
#[cfg(any(feature = "async", feature = "blocking"))]
type Decode<T> = std::sync::Arc<
    dyn Fn(&mut Paging, &clientcore_proto::http::HeaderMap, &[u8]) -> Result<Page<T>, Error>
        + Send
        + Sync,
>;

#[cfg(any(feature = "async", feature = "blocking"))]
#[allow(
    clippy::redundant_closure_for_method_calls,
    reason = "the fn item would need T: 'static; the closure, which captures nothing, does not"
)]
fn json_pages<T: DeserializeOwned>() -> Decode<T> {
    std::sync::Arc::new(|paging, headers, body| paging.on_page::<T>(headers, body))
}

#[cfg(any(feature = "async", feature = "blocking"))]
fn decoded_pages<T, F>(decode: F) -> Decode<T>
where
    F: PageDecoder<T>,
{
    std::sync::Arc::new(move |paging, headers, body| paging.on_page_with(headers, body, &decode))
}

/// What both pagers share: the builder methods, and taking in a page as JSON or through the
/// SDK's decoder.
#[cfg(any(feature = "async", feature = "blocking"))]
macro_rules! pager_common {
    () => {
        /// Decodes pages with `decode` instead of as JSON: for listings in XML or another
        /// format (see [`Paging::on_page_with`]). `decode` may be a closure that captures
        /// what it needs. The strategy still says where the continuation token goes in the
        /// next request.
        #[must_use]
        pub fn with_decoder<F>(mut self, decode: F) -> Self
        where
            F: PageDecoder<T>,
        {
            self.decode = super::decoded_pages(decode);
            self
        }

        /// Starts from the page `token` fetches (a page's or an error's continuation token)
        /// instead of the first (the reference's `by_page(continuation_token)`); `None`
        /// starts from the first page.
        #[must_use]
        pub fn by_page(mut self, token: Option<String>) -> Self {
            self.paging = self.paging.resume(token);
            self
        }

        /// The token of the page the next call fetches; `None` before the first page.
        pub fn continuation_token(&self) -> Option<&str> {
            self.paging.continuation_token()
        }

        /// Takes in a fetched page: through the SDK's decoder if there is one, else as JSON.
        fn take_page(
            &mut self,
            headers: &clientcore_proto::http::HeaderMap,
            body: &[u8],
        ) -> Result<Page<T>, Error> {
            (self.decode)(&mut self.paging, headers, body)
        }
    };
}

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use async_pager::Pager;

#[cfg(feature = "async")]
mod async_pager {
    use super::{
        fmt, json_pages, Body, Decode, DeserializeOwned, Error, Options, Page, PageDecoder,
        PageStrategy, Paging, PhantomData, Request, VecDeque,
    };
    use crate::Client;
    use futures_util::Stream;

    /// An async pager: [`next_page`](Self::next_page) by hand, or a `Stream` of pages
    /// ([`into_pages`](Self::into_pages)) or of items ([`into_items`](Self::into_items)).
    ///
    /// Items are deserialized as `T` (use `serde_json::Value` to take them as they are).
    pub struct Pager<T> {
        client: Client,
        options: Options,
        paging: Paging,
        decode: Decode<T>,
        _items: PhantomData<fn() -> T>,
    }

    impl<T: DeserializeOwned> Pager<T> {
        /// A pager whose first page is `first` (its body is not sent: pages are fetched
        /// with the first request's method, URL and headers).
        ///
        /// Each page is read inside the pipeline, up to
        /// [`MAX_BUFFERED_BODY`](crate::MAX_BUFFERED_BODY) bytes unless `options` set their
        /// own limit ([`Options::with_buffered_body`]), so a service cannot make the pager
        /// hold an unbounded page, and a page cut short is fetched again like any failed
        /// read.
        pub fn new(
            client: &Client,
            first: Request<Body>,
            strategy: PageStrategy,
            options: &Options,
        ) -> Self {
            Pager::decoding(client, first, strategy, options, json_pages())
        }
    }

    impl<T> Pager<T> {
        /// A pager whose pages `decode` takes in, for items that are not JSON (XML listings,
        /// lines...): no `Deserialize` bound on `T`. Otherwise as [`new`](Self::new).
        pub fn with_decode<F>(
            client: &Client,
            first: Request<Body>,
            strategy: PageStrategy,
            options: &Options,
            decode: F,
        ) -> Self
        where
            F: PageDecoder<T>,
        {
            Pager::decoding(
                client,
                first,
                strategy,
                options,
                super::decoded_pages(decode),
            )
        }

        fn decoding(
            client: &Client,
            first: Request<Body>,
            strategy: PageStrategy,
            options: &Options,
            decode: Decode<T>,
        ) -> Self {
            Pager {
                client: client.clone(),
                options: crate::bounded(options),
                paging: Paging::new(first.parts, strategy),
                decode,
                _items: PhantomData,
            }
        }

        pager_common!();

        /// Fetches the next page; `None` after the last.
        ///
        /// A failed page can be asked for again: the pager stays on it.
        ///
        /// # Errors
        ///
        /// The client's errors, and a `Deserialization` error for a page that is not JSON or
        /// whose items are not `T`s, each carrying the page's continuation token.
        pub async fn next_page(&mut self) -> Option<Result<Page<T>, Error>> {
            let request = match self.paging.next_call::<Body>()? {
                Ok(request) => request,
                Err(e) => return Some(Err(self.paging.attach_token(e))),
            };
            let result = async {
                let mut response = self.client.send(request, &self.options).await?;
                let body = response.read().await?;
                self.take_page(response.headers(), &body)
            }
            .await;
            Some(result.map_err(|e| self.paging.attach_token(e)))
        }

        /// The pages as a stream. It ends after the last page, or after an error.
        pub fn into_pages(self) -> impl Stream<Item = Result<Page<T>, Error>> {
            futures_util::stream::unfold(Some(self), |state| async move {
                let mut pager = state?;
                match pager.next_page().await? {
                    Ok(page) => Some((Ok(page), Some(pager))),
                    Err(e) => Some((Err(e), None)),
                }
            })
        }

        /// The items of every page as a stream. It ends after the last item, or after an
        /// error.
        pub fn into_items(self) -> impl Stream<Item = Result<T, Error>> {
            futures_util::stream::unfold(
                (Some(self), VecDeque::new()),
                |(mut state, mut buffered)| async move {
                    loop {
                        if let Some(item) = buffered.pop_front() {
                            return Some((Ok(item), (state, buffered)));
                        }
                        let pager = state.as_mut()?;
                        match pager.next_page().await? {
                            Ok(page) => buffered.extend(page.items),
                            Err(e) => return Some((Err(e), (None, buffered))),
                        }
                    }
                },
            )
        }
    }

    impl<T> fmt::Debug for Pager<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Pager")
                .field("paging", &self.paging)
                .finish_non_exhaustive()
        }
    }
}

#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub use blocking_pager::{BlockingPager, BlockingPages};

#[cfg(feature = "blocking")]
mod blocking_pager {
    use super::{
        fmt, json_pages, Body, Decode, DeserializeOwned, Error, Options, Page, PageDecoder,
        PageStrategy, Paging, PhantomData, Request, VecDeque,
    };
    use crate::BlockingClient;

    /// A blocking pager. It is an [`Iterator`] of items (the reference's `ItemPaged`);
    /// [`pages`](Self::pages) gives an iterator of pages instead.
    ///
    /// Both end after the last page, or after an error.
    pub struct BlockingPager<T> {
        client: BlockingClient,
        options: Options,
        paging: Paging,
        decode: Decode<T>,
        buffered: VecDeque<T>,
        stopped: bool,
        _items: PhantomData<fn() -> T>,
    }

    impl<T: DeserializeOwned> BlockingPager<T> {
        /// A pager whose first page is `first` (its body is not sent). Pages are bounded as
        /// in [`Pager::new`](super::Pager::new).
        pub fn new(
            client: &BlockingClient,
            first: Request<Body>,
            strategy: PageStrategy,
            options: &Options,
        ) -> Self {
            BlockingPager::decoding(client, first, strategy, options, json_pages())
        }
    }

    impl<T> BlockingPager<T> {
        /// A pager whose pages `decode` takes in, for items that are not JSON: no
        /// `Deserialize` bound on `T`. Otherwise as [`new`](Self::new).
        pub fn with_decode<F>(
            client: &BlockingClient,
            first: Request<Body>,
            strategy: PageStrategy,
            options: &Options,
            decode: F,
        ) -> Self
        where
            F: PageDecoder<T>,
        {
            BlockingPager::decoding(
                client,
                first,
                strategy,
                options,
                super::decoded_pages(decode),
            )
        }

        fn decoding(
            client: &BlockingClient,
            first: Request<Body>,
            strategy: PageStrategy,
            options: &Options,
            decode: Decode<T>,
        ) -> Self {
            BlockingPager {
                client: client.clone(),
                options: crate::bounded(options),
                paging: Paging::new(first.parts, strategy),
                decode,
                buffered: VecDeque::new(),
                stopped: false,
                _items: PhantomData,
            }
        }

        pager_common!();

        /// Fetches the next page; `None` after the last. A failed page can be asked for
        /// again.
        ///
        /// # Errors
        ///
        /// The client's errors, and a `Deserialization` error for a page that is not JSON or
        /// whose items are not `T`s, each carrying the page's continuation token.
        pub fn next_page(&mut self) -> Option<Result<Page<T>, Error>> {
            let request = match self.paging.next_call::<Body>()? {
                Ok(request) => request,
                Err(e) => return Some(Err(self.paging.attach_token(e))),
            };
            let result = (|| {
                let mut response = self.client.send(request, &self.options)?;
                let body = response.read()?;
                self.take_page(response.headers(), &body)
            })();
            Some(result.map_err(|e| self.paging.attach_token(e)))
        }

        /// The pages, as an iterator.
        pub fn pages(self) -> BlockingPages<T> {
            BlockingPages(self)
        }
    }

    impl<T> Iterator for BlockingPager<T> {
        type Item = Result<T, Error>;

        fn next(&mut self) -> Option<Self::Item> {
            loop {
                if let Some(item) = self.buffered.pop_front() {
                    return Some(Ok(item));
                }
                if self.stopped {
                    return None;
                }
                match self.next_page()? {
                    Ok(page) => self.buffered.extend(page.items),
                    Err(e) => {
                        self.stopped = true;
                        return Some(Err(e));
                    }
                }
            }
        }
    }

    impl<T> fmt::Debug for BlockingPager<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("BlockingPager")
                .field("paging", &self.paging)
                .field("buffered", &self.buffered.len())
                .finish_non_exhaustive()
        }
    }

    /// The pages of a [`BlockingPager`], from [`BlockingPager::pages`].
    pub struct BlockingPages<T>(BlockingPager<T>);

    impl<T> BlockingPages<T> {
        /// The token of the page the next call fetches.
        pub fn continuation_token(&self) -> Option<&str> {
            self.0.continuation_token()
        }
    }

    impl<T> Iterator for BlockingPages<T> {
        type Item = Result<Page<T>, Error>;

        fn next(&mut self) -> Option<Self::Item> {
            if self.0.stopped {
                return None;
            }
            let page = self.0.next_page()?;
            self.0.stopped = page.is_err();
            Some(page)
        }
    }

    impl<T> fmt::Debug for BlockingPages<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_tuple("BlockingPages").field(&self.0).finish()
        }
    }
}
