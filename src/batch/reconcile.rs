//! Reconciliation (to come).
