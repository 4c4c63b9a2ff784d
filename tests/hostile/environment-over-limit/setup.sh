seq 1 600 | sed 's/.*/FILE_&=value/' > app.env
{ printf 'services:\n  web:\n    command: [sleep, "1"]\n    env_file: app.env\n    environment:\n'; seq 1 600 | sed 's/.*/      INLINE_&: value/'; } > nanokit.yml
