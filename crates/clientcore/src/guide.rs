//! Writing an SDK on clientcore (filled in below).
