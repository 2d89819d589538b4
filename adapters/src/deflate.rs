//! DEFLATE with one compressor per thread and format, reused from call to call.
//!
//! A fresh miniz_oxide compressor allocates and zeroes about 300 KiB of tables, which costs
//! more than deflating one commit of the event log or one page of a PDF. The writer thread and
//! the render threads therefore keep theirs and reset it before each use.

use std::cell::RefCell;

use miniz_oxide::deflate::core::{
    compress, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush, TDEFLStatus,
};

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

thread_local! {
    static COMPRESSORS: RefCell<Vec<(Wrapper, u8, Box<CompressorOxide>)>> =
        const { RefCell::new(Vec::new()) };
}

/// Deflates `input` at `level` (0–10) in `wrapper`.
pub(crate) fn deflate(input: &[u8], wrapper: Wrapper, level: u8) -> Vec<u8> {
    COMPRESSORS.with(|cell| {
        let Ok(mut compressors) = cell.try_borrow_mut() else {
            // Only reachable if deflate were called from within itself: use a fresh one.
            return deflate_with(&mut new_compressor(wrapper, level), input, wrapper, level);
        };
        let index = match compressors
            .iter()
            .position(|(w, l, _)| *w == wrapper && *l == level)
        {
            Some(index) => index,
            None => {
                compressors.push((wrapper, level, Box::new(new_compressor(wrapper, level))));
                compressors.len() - 1
            }
        };
        let compressor = &mut compressors[index].2;
        compressor.reset();
        deflate_with(compressor, input, wrapper, level)
    })
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
