export * from './enums';
export * from './image-resolver';
