//! [`OptimizerState`]: an optimizer's state as plain data, what a whole-model file keeps of a
//! compiled model's optimizer (`train::optim` produces and takes it; `io` only stores it).

/// An optimizer's state (`train::optim::Optimizer::state`): what a resumed training needs to take the same
/// steps as one that never stopped.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerState {
    /// Steps applied so far (`Optimizer::iterations`); a schedule's position.
    pub iterations: u64,
    /// The constant learning rate (which `set_learning_rate` may have changed); `None` under a
    /// schedule, whose rate follows from `iterations`.
    pub learning_rate: Option<f32>,
    /// Each parameter the optimizer has updated, in the order it visits them.
    pub params: Vec<ParamState>,
}

/// One parameter's slots in an [`OptimizerState`].
#[derive(Clone, Debug, PartialEq)]
pub struct ParamState {
    /// The parameter's path (`dense_1/kernel`).
    pub name: String,
    /// Each slot's Keras name (`momentum`, `velocity`) and values, as many as the parameter's.
    pub slots: Vec<(String, Vec<f32>)>,
}
