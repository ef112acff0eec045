//! shaped facade
