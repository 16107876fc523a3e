//! A progress bar per flow on standard error, fed by the flows' progress messages
//! ("orders 12/340"). Drawn only once a flow reports, only on a terminal, never for `--json`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Arc;
use woonox::runtime::ProgressSink;

pub struct Bars {
    bar: ProgressBar,
    visible: bool,
}

impl Bars {
    pub fn new(visible: bool) -> Bars {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template("{msg:>13} [{bar:32}] {pos}/{len}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        Bars { bar, visible }
    }

    /// What the connection's progress messages go to.
    pub fn sink(&self) -> ProgressSink {
        let (bar, visible) = (self.bar.clone(), self.visible);
        Arc::new(move |message: &str| {
            let Some((flow, counts)) = message.rsplit_once(' ') else { return };
            let Some((done, total)) = counts.split_once('/') else { return };
            let (Ok(done), Ok(total)) = (done.parse(), total.parse()) else { return };
            if bar.message() != flow {
                bar.reset();
                bar.set_message(flow.to_owned());
                if visible {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                }
            }
            bar.set_length(total);
            bar.set_position(done);
        })
    }

    /// Clears the bar after a flow, ready for the next one.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
        self.bar.set_draw_target(ProgressDrawTarget::hidden());
        self.bar.set_message("");
    }
}
