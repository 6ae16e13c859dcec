//! A small line diff for readable assertion failures.

/// Unified-style line diff of `expected` vs `actual` (`-` expected only, `+` actual only).
/// Quadratic LCS: fine for the few hundred lines these tests compare.
pub fn diff_lines(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.split_inclusive('\n').collect();
    let b: Vec<&str> = actual.split_inclusive('\n').collect();
    let (n, m) = (a.len(), b.len());
    // lcs[i][j] = LCS length of a[i..], b[j..]
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut out = String::new();
    let push = |out: &mut String, tag: char, line: &str| {
        out.push(tag);
        out.push(' ');
        out.push_str(&line.replace('\r', "\\r").replace('\t', "\\t"));
        if !line.ends_with('\n') {
            out.push_str("\\ (no newline at end)\n");
        }
    };
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            push(&mut out, ' ', a[i]);
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            push(&mut out, '-', a[i]);
            i += 1;
        } else {
            push(&mut out, '+', b[j]);
            j += 1;
        }
    }
    out
}

/// Panic with a labelled diff if `expected != actual`.
#[track_caller]
pub fn assert_same(what: &str, expected: &str, actual: &str) {
    if expected != actual {
        panic!(
            "{what}: output differs (- expected/NUT, + actual)\n{}",
            diff_lines(expected, actual)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_marks_changes() {
        let d = diff_lines("a\nb\nc\n", "a\nx\nc\n");
        assert_eq!(d, "  a\n- b\n+ x\n  c\n");
    }

    #[test]
    fn diff_shows_missing_newline() {
        let d = diff_lines("a\n", "a");
        assert!(d.contains("no newline"), "{d}");
    }
}
