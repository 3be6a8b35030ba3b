FROM golang:1.22-alpine AS build
WORKDIR /src
COPY . .
# USER in a builder stage does not carry over to the final image
USER 1000
RUN go build -o /tmp/app .

# want-next
FROM alpine:3.20
COPY --from=build /tmp/app /app
CMD ["/app"]
