;; tests/engine/test_regress.c: the tables of one engine share one budget of
;; elements (weft_config.max_table_elements).
(module
  (table $a 60 funcref)
  (table $b 60 funcref)
  (func (export "grow_a") (param i32) (result i32)
    (table.grow $a (ref.null func) (local.get 0))))
