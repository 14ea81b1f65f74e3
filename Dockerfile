# Production image: Debian's libraries, the mediasoup worker built from the npm package's sources.
FROM node:20-bookworm
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY . .
RUN bash scripts/setup.sh && rm -rf /root/.cache/diemcau/build
ENV NODE_ENV=production TZ=Asia/Ho_Chi_Minh
EXPOSE 8080
CMD ["node", "dist/server/main.js"]
