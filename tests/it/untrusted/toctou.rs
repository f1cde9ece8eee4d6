//! No time-of-check/time-of-use: files found by the walk and swapped for a FIFO or a symlink
//! before leakgate opens them are neither waited on nor followed.

use super::{mkfifo, run_bounded};
use crate::support::{Gen, TestRepo};
use std::sync::atomic::{AtomicBool, Ordering};

#[test]
fn files_swapped_for_fifos_or_symlinks_during_the_walk_are_never_followed_or_waited_on() {
    let dir = TestRepo::plain();
    let outside = TestRepo::plain();
    let secret = Gen::new(1540).anthropic();
    let target = outside.join("secret.env");
    std::fs::write(&target, format!("KEY={secret}\n")).unwrap();
    let spare = outside.join("spare");
    std::fs::create_dir(&spare).unwrap();
    const FILES: usize = 40;
    for i in 0..FILES {
        dir.write(&format!("f{i}.txt"), "plain text\n");
    }
    let stop = AtomicBool::new(false);
    let root = dir.path().to_path_buf();
    std::thread::scope(|s| {
        // Keep replacing each file, atomically, by a FIFO, a symlink to the secret outside the
        // tree, or a regular file again.
        s.spawn(|| {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for i in 0..FILES {
                    let tmp = spare.join(format!("t{i}"));
                    let _ = std::fs::remove_file(&tmp);
                    match n % 3 {
                        0 => mkfifo(&tmp),
                        1 => std::os::unix::fs::symlink(&target, &tmp).unwrap(),
                        _ => std::fs::write(&tmp, "plain text\n").unwrap(),
                    }
                    // Same file system: rename is atomic.
                    let _ = std::fs::rename(&tmp, root.join(format!("f{i}.txt")));
                }
                n += 1;
            }
        });
        // Stop the swapper however this thread ends (a failed assertion included).
        struct Stop<'a>(&'a AtomicBool);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let _stop = Stop(&stop);
        for round in 0..40 {
            let run = run_bounded(dir.path(), &["scan", ".", "--format", "json"]);
            assert!(
                !run.stdout.contains("anthropic"),
                "round {round}: followed a symlink swapped in after the walk: {}",
                run.stdout
            );
            assert!(
                run.code == 0 || run.code == 2,
                "round {round}: {}",
                run.stderr
            );
        }
    });
}

#[test]
fn a_directory_swapped_for_a_symlink_during_the_walk_is_never_followed() {
    let dir = TestRepo::plain();
    let outside = TestRepo::plain();
    let secret = Gen::new(1541).anthropic();
    // Outside the tree: a directory whose `k.env` holds a key.
    let elsewhere = outside.join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("k.env"), format!("KEY={secret}\n")).unwrap();
    let parked = outside.join("parked");
    std::fs::create_dir(&parked).unwrap();
    const DIRS: usize = 40;
    for i in 0..DIRS {
        dir.write(&format!("d{i}/k.env"), "plain text\n");
    }
    let stop = AtomicBool::new(false);
    let root = dir.path().to_path_buf();
    std::thread::scope(|s| {
        // Keep replacing each directory by a symlink to `elsewhere`, and putting it back.
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                for i in 0..DIRS {
                    let d = root.join(format!("d{i}"));
                    let away = parked.join(format!("d{i}"));
                    if std::fs::rename(&d, &away).is_ok() {
                        let _ = std::os::unix::fs::symlink(&elsewhere, &d);
                        std::thread::yield_now();
                        let _ = std::fs::remove_file(&d);
                        let _ = std::fs::rename(&away, &d);
                    }
                }
            }
        });
        struct Stop<'a>(&'a AtomicBool);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let _stop = Stop(&stop);
        for round in 0..60 {
            let run = run_bounded(dir.path(), &["scan", ".", "--format", "json"]);
            assert!(
                !run.stdout.contains("anthropic"),
                "round {round}: read a file outside the tree through a swapped directory: {}",
                run.stdout
            );
            assert!(
                run.code == 0 || run.code == 2,
                "round {round}: {}",
                run.stderr
            );
        }
    });
}
