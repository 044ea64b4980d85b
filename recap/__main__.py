from recap.cli import main

main()
