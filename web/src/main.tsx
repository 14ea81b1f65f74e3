import { render } from 'preact';

function App() {
  return (
    <main>
      <h1>Điểm cầu</h1>
      <p>Hội nghị giao ban trực tuyến / Online briefing meetings</p>
    </main>
  );
}

render(<App />, document.getElementById('app')!);
