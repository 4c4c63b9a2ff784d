mkfifo nanokit.yml
