//! Giving freed heap memory back to the system.
//!
//! After a peak (a thousand clients that came and went), the C allocator
//! keeps the pages it got for them: the daemon's RSS stays at the peak
//! although nothing uses that memory any more. On glibc, `malloc_trim`
//! hands every wholly free page back; elsewhere this does nothing.

/// Return free heap pages to the system. It walks the heap (well under a
/// millisecond for a daemon of a few MiB), so call it after a peak has
/// passed, not on every event.
pub fn give_back_free_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: malloc_trim takes no pointers; it only rearranges glibc's
    // own free lists, under glibc's own lock. Rust's global allocator on
    // this target is that same malloc, so no live allocation is touched.
    unsafe {
        nix::libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rss_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/self/status")
    }

    #[test]
    fn live_allocations_survive_a_trim() {
        let keep: Vec<Vec<u8>> = (0..64u8).map(|i| vec![i; 4096]).collect();
        let freed: Vec<Vec<u8>> = (0..1024).map(|i| vec![i as u8; 4096]).collect();
        drop(freed);
        give_back_free_pages();
        for (i, block) in keep.iter().enumerate() {
            assert!(block.iter().all(|&b| usize::from(b) == i), "block {i} changed");
        }
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn freed_memory_leaves_the_resident_set() {
        // 8 MB of small blocks, a few kept. How much `free` alone gives
        // back depends on the arena and on glibc's version; after the trim
        // at least half of it must be gone from the resident set.
        let mut blocks: Vec<Vec<u8>> = (0..8192).map(|i| vec![(i % 251) as u8 + 1; 1000]).collect();
        let survivors: Vec<Vec<u8>> = blocks.iter().step_by(512).cloned().collect();
        let with_blocks = rss_kib();
        blocks.clear();
        blocks.shrink_to_fit();
        give_back_free_pages();
        let after_trim = rss_kib();
        assert!(survivors.iter().all(|b| b[0] != 0));
        assert!(
            after_trim + 4096 <= with_blocks,
            "{with_blocks} KiB with 8 MB of blocks, still {after_trim} KiB after freeing them and trimming"
        );
    }
}
