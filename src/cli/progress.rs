//! Apply progress for people: plain lines like Terraform's when output is
//! not a terminal (CI logs), indicatif bars on a terminal (one line per
//! operation in flight with its elapsed time, and an overall bar).

use std::collections::HashMap;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::addrs::ResourceAddr;
use crate::apply::{ApplyEvent, Reporter};
use crate::plan::Action;

fn verbs(action: Action) -> (&'static str, &'static str) {
    match action {
        Action::Create => ("Creating...", "Creation complete"),
        Action::Update => ("Modifying...", "Modifications complete"),
        Action::DeleteThenCreate | Action::CreateThenDelete => ("Replacing...", "Replacement complete"),
        Action::Delete => ("Destroying...", "Destruction complete"),
        Action::NoOp | Action::Read => ("Reading...", "Read complete"),
    }
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// Plain progress lines on stdout.
pub struct LineReporter;

impl Reporter for LineReporter {
    fn on_event(&mut self, event: &ApplyEvent) {
        match event {
            ApplyEvent::Started { addr, action } => outln!("{addr}: {}", verbs(*action).0),
            ApplyEvent::Finished { addr, action, elapsed, id } => {
                let id = id.as_ref().map(|i| format!(" [id={i}]")).unwrap_or_default();
                outln!("{addr}: {} after {}{id}", verbs(*action).1, seconds(*elapsed));
            }
            ApplyEvent::Failed { addr, .. } => outln!("{addr}: failed (see the error below)"),
            ApplyEvent::Skipped { addr, upstream } => outln!("{addr}: not applied: upstream {upstream} failed"),
            ApplyEvent::Stopping => outln!("Interrupt received. Waiting for operations in progress to finish; press Ctrl-C again to stop at once."),
        }
    }
}

/// indicatif bars on a terminal.
pub struct BarReporter {
    multi: MultiProgress,
    overall: ProgressBar,
    bars: HashMap<ResourceAddr, ProgressBar>,
}

impl BarReporter {
    pub fn new(total: usize) -> BarReporter {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new(total as u64));
        overall.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} done, {msg} [{elapsed}]").unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        overall.set_message(format!("{total} remaining"));
        BarReporter { multi, overall, bars: HashMap::new() }
    }

    fn remaining(&self) {
        let left = self.overall.length().unwrap_or(0).saturating_sub(self.overall.position());
        self.overall.set_message(format!("{left} remaining, {} in flight", self.bars.len()));
    }
}

impl Reporter for BarReporter {
    fn on_event(&mut self, event: &ApplyEvent) {
        match event {
            ApplyEvent::Started { addr, action } => {
                let bar = self.multi.insert_before(&self.overall, ProgressBar::new_spinner());
                bar.set_style(ProgressStyle::with_template("{spinner} {msg} ({elapsed})").unwrap_or_else(|_| ProgressStyle::default_spinner()));
                bar.set_message(format!("{addr}: {}", verbs(*action).0));
                bar.enable_steady_tick(Duration::from_millis(120));
                self.bars.insert(addr.clone(), bar);
                self.remaining();
            }
            ApplyEvent::Finished { addr, action, elapsed, id } => {
                if let Some(bar) = self.bars.remove(addr) {
                    bar.finish_and_clear();
                }
                let id = id.as_ref().map(|i| format!(" [id={i}]")).unwrap_or_default();
                let _ = self.multi.println(format!("{addr}: {} after {}{id}", verbs(*action).1, seconds(*elapsed)));
                self.overall.inc(1);
                self.remaining();
            }
            ApplyEvent::Failed { addr, .. } => {
                if let Some(bar) = self.bars.remove(addr) {
                    bar.finish_and_clear();
                }
                let _ = self.multi.println(format!("{addr}: failed"));
                self.overall.inc(1);
                self.remaining();
            }
            ApplyEvent::Skipped { addr, upstream } => {
                let _ = self.multi.println(format!("{addr}: not applied: upstream {upstream} failed"));
                self.overall.inc(1);
            }
            ApplyEvent::Stopping => {
                let _ = self.multi.println("Interrupt received. Waiting for operations in progress to finish; press Ctrl-C again to stop at once.");
            }
        }
    }
}

impl Drop for BarReporter {
    fn drop(&mut self) {
        self.overall.finish_and_clear();
    }
}
