{ printf 'x-big: ['; yes '1,' | head -n 2090000 | tr -d '\n'; printf '1]\nservices:\n  web:\n    command: [sleep, "1"]\n'; } > nanokit.yml
