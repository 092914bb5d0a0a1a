from kerasmigrate.cli import main

main(prog_name="kerasmigrate")
