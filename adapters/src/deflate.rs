//! DEFLATE and INFLATE with state reused from call to call.
//!
//! A fresh miniz_oxide compressor allocates and zeroes about 300 KiB of tables, which costs
//! more than deflating one commit of the event log or one page of a PDF; a fresh decompressor
//! and an output buffer grown step by step cost more than inflating one chunk of the log. The
//! compressors and decompressors therefore wait in small pools shared by all threads (the
//! tokio blocking pool starts and ends threads, so per-thread state would be made again and
//! again), and a chunk is inflated straight into a buffer of the size its header gives.

use std::sync::Mutex;

use miniz_oxide::deflate::core::{
    compress, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush, TDEFLStatus,
};
use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

/// The container around the DEFLATE stream.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Wrapper {
    /// Bare DEFLATE (RFC 1951).
    Raw,
    /// zlib (RFC 1950): what a PDF's `FlateDecode` filter expects.
    Zlib,
}

impl Wrapper {
    fn window_bits(self) -> i32 {
        match self {
            Self::Raw => -15,
            Self::Zlib => 15,
        }
    }
}

/// Compressors not in use, by wrapper and level; at most as many as were ever used at once.
static COMPRESSORS: Mutex<Vec<(Wrapper, u8, Box<CompressorOxide>)>> = Mutex::new(Vec::new());

/// Decompressors not in use.
static DECOMPRESSORS: Mutex<Vec<Box<DecompressorOxide>>> = Mutex::new(Vec::new());

/// Deflates `input` at `level` (0–10) in `wrapper`.
pub(crate) fn deflate(input: &[u8], wrapper: Wrapper, level: u8) -> Vec<u8> {
    let pooled = COMPRESSORS.lock().ok().and_then(|mut pool| {
        let index = pool
            .iter()
            .position(|(w, l, _)| *w == wrapper && *l == level)?;
        Some(pool.swap_remove(index).2)
    });
    let mut compressor = match pooled {
        Some(mut compressor) => {
            compressor.reset();
            compressor
        }
        None => Box::new(new_compressor(wrapper, level)),
    };
    let output = deflate_with(&mut compressor, input, wrapper, level);
    if let Ok(mut pool) = COMPRESSORS.lock() {
        pool.push((wrapper, level, compressor));
    }
    output
}

/// Why a raw DEFLATE stream could not be inflated to the expected length.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InflateError {
    /// The stream is damaged or ends early.
    #[error("the stream does not inflate: {0:?}")]
    Damaged(TINFLStatus),
    /// The stream inflates to fewer bytes than expected.
    #[error("the stream inflates to {actual} bytes, {expected} were expected")]
    Shorter { expected: usize, actual: usize },
    /// The stream inflates to more bytes than expected.
    #[error("the stream inflates to more than the {expected} bytes expected")]
    Longer { expected: usize },
}

/// Inflates raw DEFLATE `input` that must give exactly `expected` bytes.
pub(crate) fn inflate_exact(input: &[u8], expected: usize) -> Result<Vec<u8>, InflateError> {
    let mut decompressor = DECOMPRESSORS
        .lock()
        .ok()
        .and_then(|mut pool| pool.pop())
        .unwrap_or_default();
    decompressor.init();
    // One byte more than expected, so that a longer stream shows as such.
    let mut output = vec![0; expected + 1];
    let (status, _, written) = decompress(
        &mut decompressor,
        input,
        &mut output,
        0,
        inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
    );
    if let Ok(mut pool) = DECOMPRESSORS.lock() {
        pool.push(decompressor);
    }
    match status {
        TINFLStatus::Done if written == expected => {
            output.truncate(written);
            Ok(output)
        }
        TINFLStatus::Done if written < expected => Err(InflateError::Shorter {
            expected,
            actual: written,
        }),
        TINFLStatus::Done | TINFLStatus::HasMoreOutput => Err(InflateError::Longer { expected }),
        other => Err(InflateError::Damaged(other)),
    }
}

fn new_compressor(wrapper: Wrapper, level: u8) -> CompressorOxide {
    CompressorOxide::new(create_comp_flags_from_zip_params(
        i32::from(level),
        wrapper.window_bits(),
        0,
    ))
}

fn deflate_with(
    compressor: &mut CompressorOxide,
    whole: &[u8],
    wrapper: Wrapper,
    level: u8,
) -> Vec<u8> {
    let mut input = whole;
    let mut output = vec![0; (input.len() / 2).max(64)];
    let mut written = 0;
    loop {
        let (status, read, wrote) = compress(
            compressor,
            input,
            &mut output[written..],
            TDEFLFlush::Finish,
        );
        written += wrote;
        input = input.get(read..).unwrap_or_default();
        match status {
            TDEFLStatus::Done => break,
            TDEFLStatus::Okay if output.len() - written < 64 => {
                output.resize(output.len() * 2, 0);
            }
            TDEFLStatus::Okay => {}
            // The compressor only fails on misuse (a call after Done, bad flags). Start over
            // with miniz_oxide's own one-off compressor, which cannot be in such a state.
            TDEFLStatus::BadParam | TDEFLStatus::PutBufFailed => {
                return match wrapper {
                    Wrapper::Raw => miniz_oxide::deflate::compress_to_vec(whole, level),
                    Wrapper::Zlib => miniz_oxide::deflate::compress_to_vec_zlib(whole, level),
                };
            }
        }
    }
    output.truncate(written);
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| {
                b"ketenpost brief voor de client "[i % 31] ^ u8::try_from(i / 997 % 7).unwrap()
            })
            .collect()
    }

    #[test]
    fn raw_output_inflates_back_and_a_reused_compressor_gives_the_same_bytes() {
        for len in [0, 1, 100, 5_000, 200_000] {
            let input = sample(len);
            let first = deflate(&input, Wrapper::Raw, 1);
            let again = deflate(&input, Wrapper::Raw, 1);
            assert_eq!(first, again, "length {len}");
            assert_eq!(first, miniz_oxide::deflate::compress_to_vec(&input, 1));
            assert_eq!(
                miniz_oxide::inflate::decompress_to_vec(&first).unwrap(),
                input
            );
        }
    }

    #[test]
    fn inflate_exact_gives_back_the_input_and_refuses_other_lengths() {
        for len in [0, 1, 100, 5_000, 200_000] {
            let input = sample(len);
            let deflated = deflate(&input, Wrapper::Raw, 1);
            assert_eq!(
                inflate_exact(&deflated, len).unwrap(),
                input,
                "length {len}"
            );
            assert!(matches!(
                inflate_exact(&deflated, len + 1),
                Err(InflateError::Shorter { actual, .. }) if actual == len
            ));
            if len > 0 {
                assert!(matches!(
                    inflate_exact(&deflated, len - 1),
                    Err(InflateError::Longer { .. })
                ));
            }
        }
    }

    #[test]
    fn inflate_exact_refuses_a_damaged_or_cut_stream() {
        let input = sample(5_000);
        let deflated = deflate(&input, Wrapper::Raw, 6);
        let cut = &deflated[..deflated.len() / 2];
        assert!(inflate_exact(cut, input.len()).is_err());
        assert!(inflate_exact(&[0xff; 64], input.len()).is_err());
    }

    #[test]
    fn pooled_state_is_shared_by_threads_and_gives_the_same_bytes() {
        let input = sample(50_000);
        let expected = miniz_oxide::deflate::compress_to_vec(&input, 1);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let input = input.clone();
                std::thread::spawn(move || {
                    (0..20)
                        .map(|_| {
                            let deflated = deflate(&input, Wrapper::Raw, 1);
                            assert_eq!(inflate_exact(&deflated, input.len()).unwrap(), input);
                            deflated
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for thread in threads {
            for deflated in thread.join().unwrap() {
                assert_eq!(deflated, expected);
            }
        }
    }

    #[test]
    fn zlib_output_carries_the_zlib_header_and_inflates_back() {
        let input = sample(20_000);
        let raw = deflate(&input, Wrapper::Raw, 6);
        let zlib = deflate(&input, Wrapper::Zlib, 6);
        assert_eq!(zlib[0] & 0x0f, 8, "zlib CM = deflate");
        assert_eq!(
            u16::from_be_bytes([zlib[0], zlib[1]]) % 31,
            0,
            "zlib header check"
        );
        assert_eq!(
            miniz_oxide::inflate::decompress_to_vec_zlib(&zlib).unwrap(),
            input
        );
        assert_eq!(
            miniz_oxide::inflate::decompress_to_vec(&raw).unwrap(),
            input
        );
    }
}
