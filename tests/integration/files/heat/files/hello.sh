#!/bin/sh
echo hello from the stack
