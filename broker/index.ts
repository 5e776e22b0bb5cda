// The integrated MQTT broker's public face. See broker/README.md.
export {};
