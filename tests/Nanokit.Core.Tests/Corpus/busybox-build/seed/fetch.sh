#!/bin/sh
# Prints the page at $1: the seed's whole job.
wget -q -O - "$1"
