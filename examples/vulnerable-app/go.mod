module example.com/vulnerable-app

go 1.22

require (
	golang.org/x/text v0.3.7
	golang.org/x/net v0.7.0 // indirect
)
