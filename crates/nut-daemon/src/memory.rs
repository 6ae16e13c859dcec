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
    fn freed_pages_leave_the_resident_set() {
        // Small blocks interleaved with survivors: free() alone cannot
        // return them (they are not at the top of the heap).
        let mut blocks: Vec<Vec<u8>> = (0..8192).map(|i| vec![(i % 251) as u8 + 1; 1000]).collect();
        let survivors: Vec<Vec<u8>> = blocks.iter().step_by(512).cloned().collect();
        let before = rss_kib();
        blocks.clear();
        blocks.shrink_to_fit();
        let after_free = rss_kib();
        give_back_free_pages();
        let after_trim = rss_kib();
        assert!(survivors.iter().all(|b| b[0] != 0));
        assert!(
            after_trim + 2048 <= after_free,
            "trim returned too little: {before} KiB with the blocks, {after_free} KiB after free, {after_trim} KiB after trim"
        );
    }
}
