//! A progress bar per flow on standard error, fed by the flows' progress messages
//! ("orders 12/340"). Hidden when standard error is not a terminal, and for `--json`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Arc;
use woonox::runtime::ProgressSink;

pub struct Bars {
    bar: ProgressBar,
}

impl Bars {
    pub fn new(visible: bool) -> Bars {
        let target = if visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(None, target);
        let style = ProgressStyle::with_template("{msg:>13} [{bar:32}] {pos}/{len} {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        Bars { bar }
    }

    /// What the connection's progress messages go to.
    pub fn sink(&self) -> ProgressSink {
        let bar = self.bar.clone();
        Arc::new(move |message: &str| {
            let Some((flow, counts)) = message.rsplit_once(' ') else { return };
            let Some((done, total)) = counts.split_once('/') else { return };
            if let (Ok(done), Ok(total)) = (done.parse(), total.parse()) {
                if bar.message() != flow {
                    bar.reset();
                    bar.set_message(flow.to_owned());
                }
                bar.set_length(total);
                bar.set_position(done);
            }
        })
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
