//! The IO behind ketenpost's domain.
