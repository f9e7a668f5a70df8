//! Renders a QR code's text as the `data:image/png;base64,…` URL the onboarding page
//! shows. The PNG is written directly (1-bit modules scaled up, with the standard
//! quiet zone) so no image-processing crate is needed.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use qrcode::{Color, QrCode};

/// Pixels per QR module.
const SCALE: usize = 8;
/// White modules around the code, as scanners expect.
const QUIET_ZONE: usize = 4;

/// The PNG data URL of `text` as a QR code.
pub fn data_url(text: &str) -> anyhow::Result<String> {
    let code = QrCode::new(text.as_bytes())?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (index, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (x, y) = (index % modules + QUIET_ZONE, index / modules + QUIET_ZONE);
        for dy in 0..SCALE {
            let row = (y * SCALE + dy) * side;
            pixels[row + x * SCALE..row + (x + 1) * SCALE].fill(0);
        }
    }
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, side as u32, side as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        encoder.write_header()?.write_image_data(&pixels)?;
    }
    Ok(format!("data:image/png;base64,{}", STANDARD.encode(png)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scanner_reads_the_original_text_back_from_the_png() {
        let text = "2@Xq3Tc8pKlM0aZ1bY2cX3dW4eV5fU6gT7,Vh2tlsF0x9o2c3vSbQm8bY8h3kP1lqzqk2u0ZQxA8xg=,\
                    mGq8bYQ1Yk4nZr0rE1g7bOwd2Hc9kq0yN8w0t1mUhmk=,Q0w9eU2sL2y8w7kxX0G4nq6s1mX5f0zJ8l9cR2cY3Kk=";
        let url = data_url(text).unwrap();
        let bytes = STANDARD
            .decode(url.strip_prefix("data:image/png;base64,").unwrap())
            .unwrap();
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut pixels = vec![0; reader.output_buffer_size()];
        let frame = reader.next_frame(&mut pixels).unwrap();
        let (width, height) = (frame.width as usize, frame.height as usize);
        assert_eq!(width, height);

        let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
            pixels[y * width + x]
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the image");
        let (_, decoded) = grids[0].decode().unwrap();
        assert_eq!(decoded, text);
    }
}
