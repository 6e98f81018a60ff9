//! SVG plots of a run's time series with plotters' SVG backend (no font
//! or system library needed: text stays text in the SVG).

use crate::report::{FlowReport, SamplePoint};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// A plot could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[error("plot {path}: {message}")]
pub struct PlotError {
    /// The file.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

const COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(23, 190, 207),
];

/// One line of a panel.
struct Line<'a> {
    label: &'a str,
    points: Vec<(f64, f64)>,
}

fn panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    y_desc: &str,
    x_desc: &str,
    lines: &[Line<'_>],
) -> Result<(), String> {
    let x_max = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .fold(0.0f64, f64::max)
        .max(1e-3);
    let y_max = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(0.0f64, f64::max)
        .max(1e-3)
        * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, line) in lines.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(line.points.iter().copied(), colour))
            .map_err(|e| e.to_string())?
            .label(line.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour));
    }
    if lines.len() > 1 {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn series(points: &[SamplePoint], f: impl Fn(&SamplePoint) -> f64) -> Vec<(f64, f64)> {
    points.iter().map(|p| (p.t, f(p))).collect()
}

fn wrap(path: &Path, r: Result<(), String>) -> Result<(), PlotError> {
    r.map_err(|message| PlotError {
        path: path.display().to_string(),
        message,
    })
}

/// Four panels for one flow: cwnd and bytes in flight, delivery rate,
/// smoothed RTT, bottleneck queue.
pub fn flow_svg(path: &Path, scenario: &str, flow: &FlowReport) -> Result<(), PlotError> {
    let draw = || -> Result<(), String> {
        let root = SVGBackend::new(path, (900, 1000)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let areas = root.split_evenly((4, 1));
        let s = &flow.series;
        let t = format!("{scenario} / {} ({})", flow.name, flow.cc);
        panel(
            &areas[0],
            &format!("{t}: window"),
            "kB",
            "time (s)",
            &[
                Line {
                    label: "cwnd",
                    points: series(s, |p| p.cwnd as f64 / 1e3),
                },
                Line {
                    label: "in flight",
                    points: series(s, |p| p.flight as f64 / 1e3),
                },
            ],
        )?;
        panel(
            &areas[1],
            "delivery rate",
            "Mbit/s",
            "time (s)",
            &[Line {
                label: "delivered",
                points: series(s, |p| p.delivery_mbps),
            }],
        )?;
        panel(
            &areas[2],
            "smoothed RTT",
            "ms",
            "time (s)",
            &[Line {
                label: "srtt",
                points: series(s, |p| p.srtt_ms),
            }],
        )?;
        panel(
            &areas[3],
            "bottleneck queue",
            "kB",
            "time (s)",
            &[Line {
                label: "queue",
                points: series(s, |p| p.queue_bytes as f64 / 1e3),
            }],
        )?;
        root.present().map_err(|e| e.to_string())
    };
    wrap(path, draw())
}

/// The same flow under several controllers: delivery rate and cwnd.
pub fn compare_svg(
    path: &Path,
    title: &str,
    runs: &[(String, &FlowReport)],
) -> Result<(), PlotError> {
    let draw = || -> Result<(), String> {
        let root = SVGBackend::new(path, (900, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let areas = root.split_evenly((2, 1));
        let rate: Vec<Line<'_>> = runs
            .iter()
            .map(|(label, f)| Line {
                label,
                points: series(&f.series, |p| p.delivery_mbps),
            })
            .collect();
        panel(
            &areas[0],
            &format!("{title}: delivery rate"),
            "Mbit/s",
            "time (s)",
            &rate,
        )?;
        let cwnd: Vec<Line<'_>> = runs
            .iter()
            .map(|(label, f)| Line {
                label,
                points: series(&f.series, |p| p.cwnd as f64 / 1e3),
            })
            .collect();
        panel(&areas[1], "cwnd", "kB", "time (s)", &cwnd)?;
        root.present().map_err(|e| e.to_string())
    };
    wrap(path, draw())
}

/// Goodput against a swept parameter, one line per controller.
pub fn sweep_svg(
    path: &Path,
    title: &str,
    x_desc: &str,
    lines: &[(String, Vec<(f64, f64)>)],
) -> Result<(), PlotError> {
    let draw = || -> Result<(), String> {
        let root = SVGBackend::new(path, (900, 450)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let lines: Vec<Line<'_>> = lines
            .iter()
            .map(|(label, points)| Line {
                label,
                points: points.clone(),
            })
            .collect();
        panel(&root, title, "goodput (Mbit/s)", x_desc, &lines)?;
        root.present().map_err(|e| e.to_string())
    };
    wrap(path, draw())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_plot_is_an_svg_with_its_labels() {
        let dir = std::env::temp_dir().join(format!("sctp-sim-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("flow.svg");
        let flow = FlowReport {
            name: "bulk".to_owned(),
            cc: "rfc9260".to_owned(),
            series: (0..50)
                .map(|i| SamplePoint {
                    t: f64::from(i) * 0.01,
                    cwnd: 4380 + 1000 * i as u64,
                    delivery_mbps: f64::from(i),
                    ..SamplePoint::default()
                })
                .collect(),
            ..FlowReport::default()
        };
        flow_svg(&path, "s", &flow).expect("drawn");
        let svg = std::fs::read_to_string(&path).expect("written");
        assert!(svg.starts_with("<svg"), "{}", &svg[..50.min(svg.len())]);
        assert!(svg.contains("delivery rate") && svg.contains("polyline"));
        std::fs::remove_dir_all(&dir).expect("cleaned");
    }
}
