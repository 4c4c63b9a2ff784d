mkfifo app.env
