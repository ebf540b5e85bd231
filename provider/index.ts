// The Pulumi component package: every exported ComponentResource becomes a type in the schema.
export {};
