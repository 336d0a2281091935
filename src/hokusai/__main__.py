from hokusai.cli import main

main()
