//! Multi-host scenarios (see tests/).
