//! A small vector canvas that renders the same drawing to SVG and PNG, with text drawn as glyph
//! outlines of an embedded font (DejaVu Sans, from the `dejavu` crate): no system fonts, so a plot
//! looks the same on every machine and in every SVG viewer.
//!
//! Coordinates are pixels, y downwards. Text supports a TLatex subset as ROOT users write axis
//! labels: `#mu` and the other Greek letters, `_{...}` subscripts, `^{...}` superscripts.

use ab_glyph::{Font, FontRef, OutlineCurve};
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb(pub u8, pub u8, pub u8);

pub const BLACK: Rgb = Rgb(0, 0, 0);
pub const GREY: Rgb = Rgb(150, 150, 150);

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

enum Op {
    /// A filled polygon (closed).
    Fill(Vec<(f32, f32)>, Rgb),
    /// A polyline.
    Stroke(Vec<(f32, f32)>, Rgb, f32),
    /// A filled path in absolute pixel coordinates: (segments of move/line/quad/cubic).
    Glyphs(Vec<Seg>, Rgb),
}

#[derive(Clone, Copy)]
enum Seg {
    Move(f32, f32),
    Line(f32, f32),
    Quad(f32, f32, f32, f32),
    Cubic(f32, f32, f32, f32, f32, f32),
    Close,
}

pub struct Canvas {
    pub w: u32,
    pub h: u32,
    ops: Vec<Op>,
    /// The embedded DejaVu Sans (`None` only if the embedded file failed to parse: then no text
    /// is drawn rather than failing a run).
    font: Option<FontRef<'static>>,
}

/// Unicode for the TLatex Greek names (`#mu` → μ).
fn greek(name: &str) -> Option<char> {
    const LOWER: &[(&str, char)] = &[
        ("alpha", 'α'),
        ("beta", 'β'),
        ("gamma", 'γ'),
        ("delta", 'δ'),
        ("epsilon", 'ε'),
        ("eta", 'η'),
        ("theta", 'θ'),
        ("lambda", 'λ'),
        ("mu", 'μ'),
        ("nu", 'ν'),
        ("pi", 'π'),
        ("rho", 'ρ'),
        ("sigma", 'σ'),
        ("tau", 'τ'),
        ("phi", 'φ'),
        ("chi", 'χ'),
        ("psi", 'ψ'),
        ("omega", 'ω'),
        ("Delta", 'Δ'),
        ("Gamma", 'Γ'),
        ("Sigma", 'Σ'),
        ("Phi", 'Φ'),
        ("Omega", 'Ω'),
        ("pm", '±'),
        ("times", '×'),
        ("rightarrow", '→'),
        ("geq", '≥'),
        ("leq", '≤'),
    ];
    LOWER.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// A run of text at a size factor and baseline shift (in units of the font size).
struct Run {
    text: String,
    scale: f32,
    shift: f32,
}

/// Splits TLatex into runs: `_{..}` lowered and smaller, `^{..}` raised and smaller, `#name` a
/// Greek letter; other `#` and braces are kept as written.
fn latex_runs(s: &str) -> Vec<Run> {
    let mut runs = vec![Run {
        text: String::new(),
        scale: 1.0,
        shift: 0.0,
    }];
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut stack: Vec<(f32, f32)> = Vec::new();
    let (mut scale, mut shift) = (1.0f32, 0.0f32);
    let push = |runs: &mut Vec<Run>, scale: f32, shift: f32| {
        runs.push(Run {
            text: String::new(),
            scale,
            shift,
        })
    };
    while i < chars.len() {
        let c = chars[i];
        // `_x` / `^x` without braces: one character, as TLatex reads it.
        if (c == '_' || c == '^')
            && chars
                .get(i + 1)
                .is_some_and(|n| *n != '{' && !n.is_whitespace())
        {
            let (sc, sh) = (
                scale * 0.7,
                shift + if c == '_' { 0.3 } else { -0.4 } * scale,
            );
            runs.push(Run {
                text: chars[i + 1].to_string(),
                scale: sc,
                shift: sh,
            });
            push(&mut runs, scale, shift);
            i += 2;
            continue;
        }
        if (c == '_' || c == '^') && chars.get(i + 1) == Some(&'{') {
            stack.push((scale, shift));
            shift += if c == '_' { 0.3 * scale } else { -0.4 * scale };
            scale *= 0.7;
            push(&mut runs, scale, shift);
            i += 2;
            continue;
        }
        if c == '}' && !stack.is_empty() {
            if let Some((s0, h0)) = stack.pop() {
                scale = s0;
                shift = h0;
            }
            push(&mut runs, scale, shift);
            i += 1;
            continue;
        }
        if c == '#' {
            let name: String = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            if let Some(g) = greek(&name) {
                if let Some(r) = runs.last_mut() {
                    r.text.push(g);
                }
                i += 1 + name.len();
                continue;
            }
        }
        if let Some(r) = runs.last_mut() {
            r.text.push(c);
        }
        i += 1;
    }
    runs.retain(|r| !r.text.is_empty());
    runs
}

impl Canvas {
    pub fn new(w: u32, h: u32) -> Canvas {
        let font = FontRef::try_from_slice(dejavu::sans::regular()).ok();
        Canvas {
            w,
            h,
            ops: Vec::new(),
            font,
        }
    }

    pub fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, c: Rgb) {
        self.ops
            .push(Op::Fill(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1)], c));
    }

    pub fn line(&mut self, pts: Vec<(f32, f32)>, c: Rgb, width: f32) {
        if pts.len() >= 2 {
            self.ops.push(Op::Stroke(pts, c, width));
        }
    }

    pub fn dot(&mut self, x: f32, y: f32, r: f32, c: Rgb) {
        let pts = (0..12)
            .map(|k| {
                let a = k as f32 * std::f32::consts::TAU / 12.0;
                (x + r * a.cos(), y + r * a.sin())
            })
            .collect();
        self.ops.push(Op::Fill(pts, c));
    }

    /// Width of `text` (TLatex) at `size` pixels.
    pub fn text_width(&self, text: &str, size: f32) -> f32 {
        let Some(font) = &self.font else { return 0.0 };
        let upem = font.units_per_em().unwrap_or(2048.0);
        latex_runs(text)
            .iter()
            .map(|r| {
                r.text
                    .chars()
                    .map(|c| font.h_advance_unscaled(font.glyph_id(c)) / upem * size * r.scale)
                    .sum::<f32>()
            })
            .sum()
    }

    /// Draws `text` (TLatex) with its baseline at `y`; `rotate` turns it 90° anticlockwise
    /// around (x, y) (for a y-axis title).
    pub fn text(&mut self, x: f32, y: f32, size: f32, text: &str, anchor: Anchor, rotate: bool) {
        let width = self.text_width(text, size);
        let start = match anchor {
            Anchor::Start => 0.0,
            Anchor::Middle => -width / 2.0,
            Anchor::End => -width,
        };
        let Some(font) = self.font.clone() else {
            return;
        };
        let upem = font.units_per_em().unwrap_or(2048.0);
        let mut segs = Vec::new();
        let mut pen = start;
        for run in latex_runs(text) {
            let s = size * run.scale / upem;
            let dy = run.shift * size;
            for c in run.text.chars() {
                let id = font.glyph_id(c);
                if let Some(outline) = font.outline(id) {
                    // Font units (y up) → local text coordinates (y down), then place/rotate.
                    let place = |p: ab_glyph::Point| -> (f32, f32) {
                        let (u, v) = (pen + p.x * s, dy - p.y * s);
                        if rotate {
                            (x + v, y - u)
                        } else {
                            (x + u, y + v)
                        }
                    };
                    let mut last: Option<(f32, f32)> = None;
                    for curve in &outline.curves {
                        let (a, end) = match curve {
                            OutlineCurve::Line(a, b) => (place(*a), place(*b)),
                            OutlineCurve::Quad(a, _, c) => (place(*a), place(*c)),
                            OutlineCurve::Cubic(a, _, _, d) => (place(*a), place(*d)),
                        };
                        if last.is_none_or(|l| (l.0 - a.0).abs() > 1e-3 || (l.1 - a.1).abs() > 1e-3)
                        {
                            if last.is_some() {
                                segs.push(Seg::Close);
                            }
                            segs.push(Seg::Move(a.0, a.1));
                        }
                        match curve {
                            OutlineCurve::Line(_, _) => segs.push(Seg::Line(end.0, end.1)),
                            OutlineCurve::Quad(_, b, _) => {
                                let b = place(*b);
                                segs.push(Seg::Quad(b.0, b.1, end.0, end.1));
                            }
                            OutlineCurve::Cubic(_, b, c, _) => {
                                let (b, c) = (place(*b), place(*c));
                                segs.push(Seg::Cubic(b.0, b.1, c.0, c.1, end.0, end.1));
                            }
                        }
                        last = Some(end);
                    }
                    if last.is_some() {
                        segs.push(Seg::Close);
                    }
                }
                pen += font.h_advance_unscaled(id) * s;
            }
        }
        if !segs.is_empty() {
            self.ops.push(Op::Glyphs(segs, BLACK));
        }
    }

    /// The drawing as SVG (every shape, text included, as paths).
    pub fn svg(&self) -> String {
        let mut out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\n\
             <rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n",
            w = self.w,
            h = self.h
        );
        let col = |c: Rgb| format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2);
        for op in &self.ops {
            match op {
                Op::Fill(pts, c) => {
                    let _ = write!(out, "<path d=\"");
                    for (i, (x, y)) in pts.iter().enumerate() {
                        let _ = write!(out, "{}{x:.2} {y:.2} ", if i == 0 { "M" } else { "L" });
                    }
                    let _ = writeln!(out, "Z\" fill=\"{}\"/>", col(*c));
                }
                Op::Stroke(pts, c, w) => {
                    let _ = write!(out, "<path d=\"");
                    for (i, (x, y)) in pts.iter().enumerate() {
                        let _ = write!(out, "{}{x:.2} {y:.2} ", if i == 0 { "M" } else { "L" });
                    }
                    let _ = writeln!(
                        out,
                        "\" fill=\"none\" stroke=\"{}\" stroke-width=\"{w}\"/>",
                        col(*c)
                    );
                }
                Op::Glyphs(segs, c) => {
                    let _ = write!(out, "<path d=\"");
                    for s in segs {
                        let _ = match s {
                            Seg::Move(x, y) => write!(out, "M{x:.2} {y:.2}"),
                            Seg::Line(x, y) => write!(out, "L{x:.2} {y:.2}"),
                            Seg::Quad(a, b, x, y) => write!(out, "Q{a:.2} {b:.2} {x:.2} {y:.2}"),
                            Seg::Cubic(a, b, c2, d, x, y) => {
                                write!(out, "C{a:.2} {b:.2} {c2:.2} {d:.2} {x:.2} {y:.2}")
                            }
                            Seg::Close => write!(out, "Z"),
                        };
                    }
                    let _ = writeln!(out, "\" fill=\"{}\"/>", col(*c));
                }
            }
        }
        out.push_str("</svg>\n");
        out
    }

    /// The drawing as PNG; `None` only if the image is empty (0 × 0).
    pub fn png(&self) -> Option<Vec<u8>> {
        use tiny_skia::{FillRule, Paint, PathBuilder, Pixmap, Stroke, Transform};
        let mut pm = Pixmap::new(self.w, self.h)?;
        pm.fill(tiny_skia::Color::WHITE);
        let paint = |c: Rgb| {
            let mut p = Paint::default();
            p.set_color_rgba8(c.0, c.1, c.2, 255);
            p.anti_alias = true;
            p
        };
        for op in &self.ops {
            let mut pb = PathBuilder::new();
            match op {
                Op::Fill(pts, _) | Op::Stroke(pts, _, _) => {
                    for (i, (x, y)) in pts.iter().enumerate() {
                        if i == 0 {
                            pb.move_to(*x, *y);
                        } else {
                            pb.line_to(*x, *y);
                        }
                    }
                    if matches!(op, Op::Fill(..)) {
                        pb.close();
                    }
                }
                Op::Glyphs(segs, _) => {
                    for s in segs {
                        match *s {
                            Seg::Move(x, y) => pb.move_to(x, y),
                            Seg::Line(x, y) => pb.line_to(x, y),
                            Seg::Quad(a, b, x, y) => pb.quad_to(a, b, x, y),
                            Seg::Cubic(a, b, c, d, x, y) => pb.cubic_to(a, b, c, d, x, y),
                            Seg::Close => pb.close(),
                        }
                    }
                }
            }
            let Some(path) = pb.finish() else { continue };
            match op {
                Op::Fill(_, c) | Op::Glyphs(_, c) => pm.fill_path(
                    &path,
                    &paint(*c),
                    FillRule::Winding,
                    Transform::identity(),
                    None,
                ),
                Op::Stroke(_, c, w) => {
                    let stroke = Stroke {
                        width: *w,
                        ..Stroke::default()
                    };
                    pm.stroke_path(&path, &paint(*c), &stroke, Transform::identity(), None)
                }
            }
        }
        pm.encode_png().ok()
    }
}
