# want-next
ARG GITHUB_TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyz
FROM node:22-alpine
# want-next
ENV NODE_ENV=production DB_PASSWORD=hunter2
# want-next
ENV STRIPE_API_KEY sk_live_51H8exampleexample
# want-next
ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE \
    AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
# want-next
LABEL com.example.deploy-token="glpat-abcdefghij"
# want-next
ARG REGISTRY_PASSWORD=changeme
USER node
