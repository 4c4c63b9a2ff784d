seq 0 1000 | sed 's/.*/VAR_&=value/' > many.env
