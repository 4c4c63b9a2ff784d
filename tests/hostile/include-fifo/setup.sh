mkfifo part.yml
