export * from './enums';
export * from './image-resolver';
export * from './signed-by';
