from clearinghouse.cli import main

main()
