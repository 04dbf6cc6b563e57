-- Tables of the learn stage; one row per (run, premises) or per run.
CREATE TABLE IF NOT EXISTS learn_labels (
    run_id INTEGER, premises_id VARCHAR, visit_date DATE, hit BOOLEAN,
    listed BOOLEAN, random_pick BOOLEAN, feature_run_id INTEGER
);
CREATE TABLE IF NOT EXISTS model_runs (
    run_id INTEGER, status VARCHAR, used BOOLEAN, n_labels INTEGER, n_hits INTEGER,
    split_date DATE, n_train INTEGER, n_test INTEGER, k INTEGER,
    precision_rule DOUBLE, precision_model DOUBLE, lift DOUBLE, auc_rule DOUBLE, auc_model DOUBLE,
    coefficients VARCHAR, note VARCHAR
);
-- the later visits that were random picks: the unbiased part of the validation
ALTER TABLE model_runs ADD COLUMN IF NOT EXISTS n_random_test INTEGER;
ALTER TABLE model_runs ADD COLUMN IF NOT EXISTS random_hits_test INTEGER;
ALTER TABLE model_runs ADD COLUMN IF NOT EXISTS auc_rule_random DOUBLE;
ALTER TABLE model_runs ADD COLUMN IF NOT EXISTS auc_model_random DOUBLE;
CREATE TABLE IF NOT EXISTS model_scores (
    run_id INTEGER, premises_id VARCHAR, rule_score DOUBLE, model_prob DOUBLE, model_points DOUBLE
);
CREATE TABLE IF NOT EXISTS hit_rate_estimates (
    run_id INTEGER, part VARCHAR, visits INTEGER, hits INTEGER, rate DOUBLE,
    ci_low DOUBLE, ci_high DOUBLE, premises_below_cut INTEGER, missed_estimate DOUBLE,
    missed_low DOUBLE, missed_high DOUBLE
);
-- read here before the first run's publish stage creates it (same definition as lists.sql)
CREATE TABLE IF NOT EXISTS visit_lists (run_id INTEGER, premises_id VARCHAR, community VARCHAR, list_rank BIGINT,
                                        random_pick BOOLEAN);
