//! Vigil's bench peer: rsigma's engine (rsigma-eval / rsigma-parser, pinned in Cargo.toml) over the
//! same rules and NDJSON events as `vigil rules eval`, so `npm run bench` can report the ratio.
//!
//! Usage: vigil-bench-rsigma RULE_PATH... < events.ndjson > hits.ndjson
//! Each hit is one line, shaped like Vigil's detection line:
//!   {"type":"detection","rule":{"id":..,"title":..,"level":..},"event":{"index":N}}
//! where N counts the non-blank lines before the event, as Vigil's index counts records.
//! A summary goes to stderr as one JSON line: rules, events, matches, load_ms.

use std::io::{self, BufRead, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use rsigma_eval::Engine;
use rsigma_eval::event::JsonEvent;
use rsigma_parser::{SigmaCollection, parse_sigma_directory, parse_sigma_file};

fn load(paths: &[String]) -> SigmaCollection {
    let mut all = SigmaCollection::new();
    for p in paths {
        let path = Path::new(p);
        let parsed = if path.is_dir() { parse_sigma_directory(path) } else { parse_sigma_file(path) };
        match parsed {
            Ok(c) => {
                all.rules.extend(c.rules);
                all.filters.extend(c.filters);
                all.errors.extend(c.errors);
            }
            Err(e) => all.errors.push(format!("{p}: {e}")),
        }
    }
    all
}

fn main() -> io::Result<()> {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: vigil-bench-rsigma RULE_PATH... < events.ndjson");
        std::process::exit(2);
    }
    let started = Instant::now();
    let collection = load(&paths);
    let mut engine = Engine::new();
    // Rules the engine cannot compile are skipped (and counted), as Vigil skips rules it rejects.
    let rejected = engine.add_rules(collection.rules.iter()).len();
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;

    let stdin = io::stdin().lock();
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let (mut events, mut matches) = (0u64, 0u64);
    for line in stdin.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let index = events;
        events += 1;
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
        for hit in engine.evaluate(&JsonEvent::borrow(&value)) {
            matches += 1;
            let h = &hit.header;
            let row = serde_json::json!({
                "type": "detection",
                "rule": { "id": h.rule_id, "title": h.rule_title, "level": h.level },
                "event": { "index": index },
            });
            serde_json::to_writer(&mut out, &row)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    eprintln!(
        "{}",
        serde_json::json!({
            "rules": engine.rule_count(),
            "rejected": rejected,
            "parse_errors": collection.errors.len(),
            "events": events,
            "matches": matches,
            "load_ms": load_ms,
        })
    );
    Ok(())
}
