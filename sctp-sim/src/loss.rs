//! Packet loss models: independent (Bernoulli) losses and the two-state
//! Gilbert-Elliott model, whose bad state produces loss bursts.

use crate::error::{check_range, FieldError};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// How a link direction loses packets. In a scenario file:
/// `loss = { bernoulli = { p = 0.01 } }` or
/// `loss = { gilbert_elliott = { p_good_to_bad = 0.01, p_bad_to_good = 0.3 } }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum LossModel {
    /// Every packet is lost with probability `p`, independently.
    Bernoulli {
        /// The loss probability.
        p: f64,
    },
    /// A Markov chain of a good and a bad state, stepped once per packet;
    /// each state loses packets with its own probability.
    GilbertElliott {
        /// Probability of moving from good to bad at a packet.
        p_good_to_bad: f64,
        /// Probability of moving from bad to good at a packet (the mean
        /// burst length is its inverse).
        p_bad_to_good: f64,
        /// Loss probability in the good state.
        #[serde(default)]
        loss_good: f64,
        /// Loss probability in the bad state.
        #[serde(default = "one")]
        loss_bad: f64,
    },
}

fn one() -> f64 {
    1.0
}

impl LossModel {
    /// A Gilbert-Elliott model that loses every packet in the bad state
    /// and none in the good one, with the given long-run loss rate and
    /// mean burst length in packets.
    pub fn bursts(rate: f64, mean_burst: f64) -> Self {
        let p_bad_to_good = 1.0 / mean_burst.max(1.0);
        // The stationary share of the bad state is g2b / (g2b + b2g).
        let p_good_to_bad = rate * p_bad_to_good / (1.0 - rate).max(f64::EPSILON);
        LossModel::GilbertElliott {
            p_good_to_bad,
            p_bad_to_good,
            loss_good: 0.0,
            loss_bad: 1.0,
        }
    }

    /// The long-run share of packets lost.
    pub fn mean_loss(&self) -> f64 {
        match *self {
            LossModel::Bernoulli { p } => p,
            LossModel::GilbertElliott {
                p_good_to_bad,
                p_bad_to_good,
                loss_good,
                loss_bad,
            } => {
                let total = p_good_to_bad + p_bad_to_good;
                if total <= 0.0 {
                    return loss_good;
                }
                let bad = p_good_to_bad / total;
                bad * loss_bad + (1.0 - bad) * loss_good
            }
        }
    }

    /// Checks every probability; `field` is the model's path for errors.
    pub fn validate(&self, field: &str) -> Result<(), FieldError> {
        match *self {
            LossModel::Bernoulli { p } => {
                check_range(&format!("{field}.bernoulli.p"), p, 0.0, 1.0)?;
            }
            LossModel::GilbertElliott {
                p_good_to_bad,
                p_bad_to_good,
                loss_good,
                loss_bad,
            } => {
                let f = format!("{field}.gilbert_elliott");
                check_range(&format!("{f}.p_good_to_bad"), p_good_to_bad, 0.0, 1.0)?;
                check_range(&format!("{f}.p_bad_to_good"), p_bad_to_good, 0.0, 1.0)?;
                check_range(&format!("{f}.loss_good"), loss_good, 0.0, 1.0)?;
                check_range(&format!("{f}.loss_bad"), loss_bad, 0.0, 1.0)?;
            }
        }
        Ok(())
    }
}

/// A loss model with its state (the Gilbert-Elliott chain's position).
#[derive(Clone, Debug)]
pub struct Loss {
    model: Option<LossModel>,
    bad: bool,
}

impl Loss {
    /// Starts `model` (none: nothing is lost) in the good state.
    pub fn new(model: Option<LossModel>) -> Self {
        Loss { model, bad: false }
    }

    /// Decides the fate of one packet: `true` drops it.
    pub fn drops(&mut self, rng: &mut Rng) -> bool {
        match self.model {
            None => false,
            Some(LossModel::Bernoulli { p }) => rng.chance(p),
            Some(LossModel::GilbertElliott {
                p_good_to_bad,
                p_bad_to_good,
                loss_good,
                loss_bad,
            }) => {
                let flip = if self.bad {
                    p_bad_to_good
                } else {
                    p_good_to_bad
                };
                if rng.chance(flip) {
                    self.bad = !self.bad;
                }
                rng.chance(if self.bad { loss_bad } else { loss_good })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(model: LossModel, n: u32, seed: u64) -> (f64, f64) {
        let mut loss = Loss::new(Some(model));
        let mut rng = Rng::new(seed);
        let mut lost = 0u32;
        let mut bursts = 0u32;
        let mut previous = false;
        for _ in 0..n {
            let l = loss.drops(&mut rng);
            lost += u32::from(l);
            bursts += u32::from(l && !previous);
            previous = l;
        }
        let mean_burst = f64::from(lost) / f64::from(bursts.max(1));
        (f64::from(lost) / f64::from(n), mean_burst)
    }

    #[test]
    fn bernoulli_long_run_rate_is_within_tolerance() {
        let (r, burst) = rate(LossModel::Bernoulli { p: 0.05 }, 400_000, 3);
        assert!((r - 0.05).abs() < 0.002, "rate {r}");
        // Independent losses: bursts of about 1 / (1 - p) packets.
        assert!(burst < 1.1, "mean burst {burst}");
    }

    #[test]
    fn gilbert_elliott_long_run_rate_and_burst_length_match_the_model() {
        let model = LossModel::bursts(0.10, 4.0);
        assert!((model.mean_loss() - 0.10).abs() < 1e-12);
        let (r, burst) = rate(model, 1_000_000, 9);
        assert!((r - 0.10).abs() < 0.005, "rate {r}");
        assert!((burst - 4.0).abs() < 0.2, "mean burst {burst}");
    }

    #[test]
    fn no_model_loses_nothing_and_bad_probabilities_name_the_field() {
        let mut loss = Loss::new(None);
        let mut rng = Rng::new(1);
        assert!((0..1000).all(|_| !loss.drops(&mut rng)));
        let err = LossModel::Bernoulli { p: 1.5 }.validate("links[0].forward.loss");
        assert_eq!(
            err.map_err(|e| e.field),
            Err("links[0].forward.loss.bernoulli.p".to_owned())
        );
    }
}
