module example.com/app

go 1.22

require (
	golang.org/x/text v0.3.7
	github.com/gin-gonic/gin v1.9.0 // indirect
)
